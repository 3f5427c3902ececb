with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}
    where period in ('month', 'quarter', 'year', 'all')

),

item_totals as (

    {{ pilot_item_totals('periods') }}

)

select * from item_totals
