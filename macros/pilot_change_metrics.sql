{% macro pilot_change_metrics(periods) -%}
    {#- Each count metric per unit over each period of `periods` against the period of the
        same number of days just before it, with the Poisson z-score of the change where the
        metric counts events (pilot_change_verdict); no previous count (null) when that period
        begins before the pilot. -#}
    with both_sides as (

        select
            'current' as period,
            period_start,
            period_end
        from {{ periods }}
        union all
        select
            'previous' as period,
            {{ dbt.dateadd(
                'day',
                '-1 - ' ~ dbt.datediff('period_start', 'period_end', 'day'),
                'period_start',
            ) }} as period_start,
            {{ dbt.dateadd('day', -1, 'period_start') }} as period_end
        from {{ periods }}

    ),

    side_periods as (

        select
            period,
            cast(period_start as date) as period_start,
            cast(period_end as date) as period_end
        from both_sides

    ),

    side_metrics as (

        {{ pilot_unit_metrics('side_periods') }}

    ),

    changes as (

        {%- for metric in pilot_change_metric_names() %}
        select
            current_side.unit_code,
            current_side.unit_name,
            current_side.population,
            current_side.period_start,
            current_side.period_end,
            previous_side.period_start as previous_start,
            previous_side.period_end as previous_end,
            '{{ metric }}' as metric,
            {{ pilot_is_event_count(metric) }} as is_event_count,
            cast(current_side.{{ adapter.quote(metric) }} as double) as current_value,
            {#- No ledgers were kept before the pilot: a previous range that begins before it
                has no count to compare with, not a count of zero. -#}
            case
                when previous_side.period_start >= cast('{{ var("pilot_start") }}' as date)
                    then cast(previous_side.{{ adapter.quote(metric) }} as double)
            end as previous_value
        from side_metrics as current_side
        inner join side_metrics as previous_side
            on previous_side.unit_code = current_side.unit_code
            and previous_side.period = 'previous'
        where current_side.period = 'current'
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}

    )

    select
        'range' as period,
        unit_code,
        unit_name,
        period_start,
        period_end,
        previous_start,
        previous_end,
        metric,
        is_event_count,
        current_value,
        previous_value,
        {{ pilot_change_verdict('current_value', 'previous_value', 'is_event_count') }}
    from changes
{%- endmacro %}
