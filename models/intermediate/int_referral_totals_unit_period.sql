with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}

),

referral_totals as (

    {{ pilot_referral_totals('periods') }}

)

select * from referral_totals
