with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}

),

output_totals as (

    {{ pilot_output_totals('periods') }}

)

select * from output_totals
