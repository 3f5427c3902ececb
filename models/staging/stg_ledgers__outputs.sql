with source_outputs as (

    select * from {{ source('ledgers', 'outputs') }}

),

loaded_files as (

    {#- Rows of superseded, duplicate or failed files must not count. -#}
    select file_id from {{ source('ledgers', 'files') }}
    where lower(trim(status)) = 'loaded'

),

renamed as (

    select
        source_outputs.load_id,
        source_outputs.file_id,
        source_outputs.source_file,
        source_outputs.source_sheet,
        source_outputs.source_row,
        trim(source_outputs.activity_id) as activity_id,
        upper(trim(source_outputs.unit_code)) as unit_code,
        {{ dbt.safe_cast("nullif(trim(source_outputs.date), '')", "date") }} as output_date,
        nullif(trim(source_outputs.campaign), '') as campaign,
        upper(trim(source_outputs.output_code)) as output_code,
        {{ dbt.safe_cast("nullif(trim(source_outputs.quantity), '')", "double") }} as quantity,
        coalesce(lower(trim(source_outputs.quantity_approx)) = 'true', false) as is_approximate,
        nullif(trim(source_outputs.measure), '') as measure,
        nullif(trim(source_outputs.place), '') as place
    from source_outputs
    inner join loaded_files
        on source_outputs.file_id = loaded_files.file_id

)

select * from renamed
