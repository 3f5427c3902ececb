{#- Loaded ledger files per reporting unit whose rows they hold, with the dates those rows
    span, so a summary can state the data quality of the files behind its unit and period.
    A file that loaded no row belongs to no known unit: it is listed for every unit, as it is
    for every period, since the rows it failed to load may be any unit's. -#}
with files as (

    select * from {{ ref('stg_ledgers__files') }}
    where is_loaded

),

members as (

    select * from {{ ref('dim_unit_members') }}

),

reporting_units as (

    select * from {{ ref('dim_reporting_units') }}

),

row_dates as (

    select file_id, unit_code, found_date as row_date from {{ ref('fct_cases') }}
    union all
    select file_id, unit_code, patrol_date as row_date from {{ ref('fct_patrols') }}
    union all
    select file_id, unit_code, output_date as row_date from {{ ref('fct_outputs') }}

),

unit_file_dates as (

    {#- A file's rows count towards each reporting unit their unit belongs to. -#}
    select
        row_dates.file_id,
        members.reporting_unit_code as unit_code,
        min(row_dates.row_date) as first_date,
        max(row_dates.row_date) as last_date,
        count(*) as unit_rows_loaded
    from row_dates
    inner join members
        on members.unit_code = row_dates.unit_code
    group by
        row_dates.file_id,
        members.reporting_unit_code

),

files_without_rows as (

    select
        files.file_id,
        reporting_units.unit_code,
        cast(null as date) as first_date,
        cast(null as date) as last_date,
        0 as unit_rows_loaded
    from files
    cross join reporting_units
    where not exists (
        select 1 from row_dates
        where row_dates.file_id = files.file_id
    )

),

unit_files as (

    select * from unit_file_dates
    union all
    select * from files_without_rows

),

final as (

    select
        unit_files.unit_code,
        files.file_id,
        files.file_name,
        files.ledger,
        unit_files.first_date,
        unit_files.last_date,
        files.rows_read,
        files.rows_loaded,
        cast(unit_files.unit_rows_loaded as {{ dbt.type_bigint() }}) as unit_rows_loaded,
        files.rows_quarantined,
        files.rows_skipped
    from unit_files
    inner join files
        on files.file_id = unit_files.file_id

)

select * from final
