{{ config(post_hook="{{ pilot_create_range_macro('referrals_between', 'referrals') }}") }}

with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}

),

referrals as (

    {{ pilot_referral_metrics('periods') }}

)

select * from referrals
