with source_files as (

    select * from {{ source('ledgers', 'files') }}

),

renamed as (

    select
        file_id,
        load_id,
        file_name,
        sha256,
        size_bytes,
        lower(trim(status)) as status,
        nullif(trim(duplicate_of), '') as duplicate_of,
        nullif(trim(supersedes), '') as supersedes,
        nullif(trim(ledger), '') as ledger,
        coalesce(rows_read, 0) as rows_read,
        coalesce(rows_loaded, 0) as rows_loaded,
        coalesce(rows_quarantined, 0) as rows_quarantined,
        coalesce(rows_skipped, 0) as rows_skipped,
        nullif(trim(error), '') as error,
        ingested_at,
        lower(trim(status)) = 'loaded' as is_loaded
    from source_files

)

select * from renamed
