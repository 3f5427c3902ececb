{#- Incremental by file: a build after an ingest adds the rows of the new files and drops those of
    files superseded since. `pilot build` asks for a full refresh when the project (models,
    macros, reference data) changed since the last good build. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ pilot_drop_unloaded_files() }}"
) }}

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
