{{ config(post_hook="{{ pilot_create_range_macro('case_mix_between', 'case_mix') }}") }}

with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}

),

case_mix as (

    {{ pilot_case_mix_metrics('periods') }}

)

select * from case_mix
