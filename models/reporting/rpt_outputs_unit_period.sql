{{ config(post_hook="{{ pilot_create_range_macro('outputs_between', 'outputs') }}") }}

with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}

),

output_quantities as (

    {{ pilot_output_metrics('periods') }}

)

select * from output_quantities
