-- depends_on: {{ ref('int_build_scope') }}
{{ config(post_hook="{{ pilot_create_range_macro('unit_metrics_between', 'unit_metrics') }}") }}

with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}

),

unit_metrics as (

    {{ pilot_unit_metrics('periods', ref('int_output_totals_unit_period'), pilot_members_to_build()) }}

)

select * from unit_metrics
