{#- Far enough ahead for any ledger; the spine is cut at the last date with data. -#}
{%- set spine_start = "cast('" ~ var('pilot_start') ~ "' as date)" -%}
{%- set spine_horizon = dbt.dateadd('year', 30, spine_start) -%}

with spine as (

    {{ dbt.date_spine('day', spine_start, spine_horizon) }}

),

data_dates as (

    select found_date as data_date from {{ ref('stg_ledgers__cases') }}
    union all
    select patrol_date as data_date from {{ ref('stg_ledgers__patrols') }}
    union all
    select output_date as data_date from {{ ref('stg_ledgers__outputs') }}

),

last_data_date as (

    select coalesce(max(data_date), {{ spine_start }}) as last_date
    from data_dates

),

days as (

    select cast(spine.date_day as date) as date_day
    from spine
    cross join last_data_date
    where cast(spine.date_day as date) <= last_data_date.last_date

),

final as (

    select
        date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast({{ dbt.dateadd('day', 6, dbt.date_trunc('week', 'date_day')) }} as date) as week_end,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        {{ dbt.last_day('date_day', 'month') }} as month_end,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        {{ dbt.last_day('date_day', 'quarter') }} as quarter_end,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
        {{ dbt.last_day('date_day', 'year') }} as year_end
    from days

)

select * from final
