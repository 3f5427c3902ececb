with source_patrols as (

    select * from {{ source('ledgers', 'patrols') }}

),

loaded_files as (

    {#- Rows of superseded, duplicate or failed files must not count. -#}
    select file_id from {{ source('ledgers', 'files') }}
    where lower(trim(status)) = 'loaded'

),

renamed as (

    {#- Officer names stop here: only their number goes on. -#}
    select
        source_patrols.load_id,
        source_patrols.file_id,
        source_patrols.source_file,
        source_patrols.source_sheet,
        source_patrols.source_row,
        trim(source_patrols.patrol_id) as patrol_id,
        upper(trim(source_patrols.unit_code)) as unit_code,
        nullif(trim(source_patrols.grid), '') as grid,
        {{ dbt.safe_cast("nullif(trim(source_patrols.date), '')", "date") }} as patrol_date,
        trim(source_patrols.start_time) as start_time,
        trim(source_patrols.end_time) as end_time,
        {{ pilot_minute_of_day("trim(source_patrols.start_time)") }} as start_minute,
        {{ pilot_minute_of_day("trim(source_patrols.end_time)") }} as end_minute,
        {{ dbt.safe_cast("nullif(trim(source_patrols.officer_count), '')", dbt.type_int()) }}
            as officer_count,
        coalesce(
            {{ dbt.safe_cast("nullif(trim(source_patrols.issues_found), '')", dbt.type_int()) }},
            0
        ) as issues_found,
        coalesce(
            {{ dbt.safe_cast("nullif(trim(source_patrols.resolved_on_spot), '')", dbt.type_int()) }},
            0
        ) as resolved_on_spot
    from source_patrols
    inner join loaded_files
        on source_patrols.file_id = loaded_files.file_id

)

select * from renamed
