{{ config(
    materialized='view',
    post_hook="{{ pilot_create_range_macro('changes_between', 'changes') }}",
) }}

{#- Each count against the same unit's previous period of the same kind (last month, last
    quarter, ...), with the Poisson z-score where the metric counts events (not for output
    quantities, see pilot_is_event_count); the whole pilot has no previous period.
    The previous period is found on the wide rows (one per unit and period) and only then
    turned long: one window over the units' periods rather than one per metric.
    A view: stored, the long rows would be every metric of every unit-period again (16M rows
    for 2,000 units over 5 years, the largest table of a build); readers ask for a few units,
    and the window needs only those units' rows of rpt_unit_metrics. pilot_ref (no database
    part), so the view reads the tables of whichever file holds it, as in a snapshot. -#}
{%- set metrics = pilot_change_metric_names() -%}
{%- set unit_periods_in_order = "over (partition by period, unit_code order by period_start)" -%}

with unit_metrics as (

    select * from {{ pilot_ref('rpt_unit_metrics') }}
    where period <> 'all'

),

with_previous as (

    select
        period,
        unit_code,
        unit_name,
        period_start,
        period_end,
        lag(period_start) {{ unit_periods_in_order }} as previous_start,
        lag(period_end) {{ unit_periods_in_order }} as previous_end,
        {%- for metric in metrics %}
        cast({{ adapter.quote(metric) }} as double) as {{ adapter.quote('current__' ~ metric) }},
        cast(lag({{ adapter.quote(metric) }}) {{ unit_periods_in_order }} as double)
            as {{ adapter.quote('previous__' ~ metric) }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from unit_metrics

),

long_counts as (

    {%- for metric in metrics %}
    select
        period,
        unit_code,
        unit_name,
        period_start,
        period_end,
        previous_start,
        previous_end,
        '{{ metric }}' as metric,
        {{ pilot_is_event_count(metric) }} as is_event_count,
        {{ adapter.quote('current__' ~ metric) }} as current_value,
        {{ adapter.quote('previous__' ~ metric) }} as previous_value
    from with_previous
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        period,
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
    from long_counts

)

select * from final
