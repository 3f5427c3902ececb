{{ config(
    materialized='view',
    post_hook="{{ pilot_create_range_macro('outputs_between', 'outputs') }}",
) }}

{#- A view: the non-zero rows are stored in int_output_totals_unit_period and filled out here
    with zeros for every unit, period and key, so readers of a few units compute only their
    rows. pilot_ref (no database part), so that in a snapshot the view reads the snapshot. -#}

with periods as (

    select period, period_start, period_end
    from {{ pilot_ref('dim_periods') }}

),

output_quantities as (

    {{ pilot_output_metrics('periods', pilot_ref('int_output_totals_unit_period')) }}

)

select * from output_quantities
