-- depends_on: {{ ref('int_build_scope') }}
with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}
    where period in ('month', 'quarter', 'year', 'all')

),

item_totals as (

    {{ pilot_cases_found_totals('periods', 'item_code', pilot_members_to_build()) }}

)

select * from item_totals
