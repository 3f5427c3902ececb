with outputs as (

    select * from {{ ref('stg_ledgers__outputs') }} as outputs
    {{ pilot_new_files_only('outputs') }}

),

output_types as (

    select * from {{ ref('dim_output_types') }}

),

final as (

    select
        outputs.unit_code,
        outputs.activity_id,
        outputs.output_date,
        outputs.campaign,
        outputs.output_code,
        coalesce(outputs.measure, output_types.measure) as measure,
        outputs.quantity,
        outputs.is_approximate,
        outputs.file_id,
        outputs.source_file,
        outputs.source_sheet,
        outputs.source_row
    from outputs
    left join output_types
        on output_types.output_code = outputs.output_code

)

select * from final
