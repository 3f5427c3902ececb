with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}

),

case_mix_totals as (

    {{ pilot_cases_found_totals('periods', 'category_code') }}

)

select * from case_mix_totals
