-- depends_on: {{ ref('int_build_scope') }}
with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}

),

output_totals as (

    {{ pilot_output_totals('periods', pilot_members_to_build()) }}

)

select * from output_totals
