{#- Loaded ledger files with the dates their loaded rows span, so a summary can state the
    data quality of the files behind its period. -#}
with files as (

    select * from {{ ref('stg_ledgers__files') }}
    where is_loaded

),

row_dates as (

    select file_id, found_date as row_date from {{ ref('fct_cases') }}
    union all
    select file_id, patrol_date as row_date from {{ ref('fct_patrols') }}
    union all
    select file_id, output_date as row_date from {{ ref('fct_outputs') }}

),

file_dates as (

    select
        file_id,
        min(row_date) as first_date,
        max(row_date) as last_date
    from row_dates
    group by file_id

),

final as (

    select
        files.file_id,
        files.file_name,
        files.ledger,
        file_dates.first_date,
        file_dates.last_date,
        files.rows_read,
        files.rows_loaded,
        files.rows_quarantined,
        files.rows_skipped
    from files
    left join file_dates
        on file_dates.file_id = files.file_id

)

select * from final
