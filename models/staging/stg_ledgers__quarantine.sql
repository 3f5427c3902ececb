with source_quarantine as (

    select * from {{ source('ledgers', 'quarantine') }}

),

renamed as (

    {#- Values were masked at ingest; reasons say why each row was rejected. -#}
    select
        load_id,
        file_id,
        source_file,
        source_sheet,
        source_row,
        ledger,
        reasons,
        row_values
    from source_quarantine

)

select * from renamed
