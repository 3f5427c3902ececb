with source_cases as (

    select * from {{ source('ledgers', 'cases') }}

),

loaded_files as (

    {#- Rows of superseded, duplicate or failed files must not count. -#}
    select file_id from {{ source('ledgers', 'files') }}
    where lower(trim(status)) = 'loaded'

),

renamed as (

    select
        source_cases.load_id,
        source_cases.file_id,
        source_cases.source_file,
        source_cases.source_sheet,
        source_cases.source_row,
        trim(source_cases.case_id) as case_id,
        upper(trim(source_cases.unit_code)) as unit_code,
        nullif(trim(source_cases.grid), '') as grid,
        {{ dbt.safe_cast("nullif(trim(source_cases.found_date), '')", "date") }} as found_date,
        coalesce(nullif(trim(source_cases.source), ''), '其他') as case_source,
        upper(trim(source_cases.item_code)) as item_code,
        nullif(trim(source_cases.summary), '') as summary,
        nullif(trim(source_cases.party_name_masked), '') as party_name_masked,
        nullif(trim(source_cases.party_id_hash), '') as party_id_hash,
        nullif(trim(source_cases.action), '') as action,
        nullif(upper(trim(source_cases.referred_to)), '') as referred_to,
        {{ dbt.safe_cast("nullif(trim(source_cases.deadline), '')", "date") }} as deadline,
        {{ dbt.safe_cast("nullif(trim(source_cases.closed_date), '')", "date") }} as closed_date,
        nullif(trim(source_cases.outcome), '') as outcome,
        {{ dbt.safe_cast("nullif(trim(source_cases.fine_yuan), '')", "decimal(18, 2)") }} as fine_yuan
    from source_cases
    inner join loaded_files
        on source_cases.file_id = loaded_files.file_id

)

select * from renamed
