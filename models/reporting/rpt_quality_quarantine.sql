with quarantine as (

    select * from {{ ref('stg_ledgers__quarantine') }}

),

files as (

    select * from {{ ref('stg_ledgers__files') }}

),

final as (

    {#- The reasons only: the row's values stay in the raw schema. -#}
    select
        quarantine.file_id,
        files.file_name,
        files.status as file_status,
        quarantine.source_sheet,
        quarantine.source_row,
        quarantine.ledger,
        quarantine.reasons
    from quarantine
    left join files
        on files.file_id = quarantine.file_id

)

select * from final
