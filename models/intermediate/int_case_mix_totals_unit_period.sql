-- depends_on: {{ ref('int_build_scope') }}
with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}

),

case_mix_totals as (

    {{ pilot_cases_found_totals('periods', 'category_code', pilot_members_to_build()) }}

)

select * from case_mix_totals
