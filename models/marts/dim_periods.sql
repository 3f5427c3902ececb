{#- The reporting periods: calendar weeks (Monday first), months, quarters and years that
    hold a day of the date spine, and the whole pilot ('all'). -#}
{%- set period_kinds = ['week', 'month', 'quarter', 'year'] -%}

with dates as (

    select * from {{ ref('dim_dates') }}

),

{% for kind in period_kinds %}
{{ kind }}_periods as (

    select distinct
        '{{ kind }}' as period,
        {{ kind }}_start as period_start,
        {{ kind }}_end as period_end
    from dates

),

{% endfor %}
whole_pilot as (

    select
        'all' as period,
        cast('{{ var("pilot_start") }}' as date) as period_start,
        max(date_day) as period_end
    from dates

),

periods as (

    {% for kind in period_kinds %}
    select * from {{ kind }}_periods
    union all
    {% endfor %}
    select * from whole_pilot

)

select * from periods
