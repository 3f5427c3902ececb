with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}

),

case_mix_totals as (

    {{ pilot_case_mix_totals('periods') }}

)

select * from case_mix_totals
