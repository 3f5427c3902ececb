with files as (

    select * from {{ ref('stg_ledgers__files') }}

),

final as (

    {#- File paths stay out: they can hold a user's name. -#}
    select
        file_id,
        file_name,
        ledger,
        status,
        rows_read,
        rows_loaded,
        rows_quarantined,
        rows_skipped,
        duplicate_of,
        supersedes,
        error,
        ingested_at
    from files

)

select * from final
