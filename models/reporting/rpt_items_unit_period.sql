{{ config(post_hook="{{ pilot_create_range_macro('items_between', 'items') }}") }}

with periods as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}
    where period in ('month', 'quarter', 'year', 'all')

),

item_counts as (

    {{ pilot_item_metrics('periods') }}

)

select * from item_counts
