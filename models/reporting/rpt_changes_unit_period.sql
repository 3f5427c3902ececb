{{ config(post_hook="{{ pilot_create_range_macro('changes_between', 'changes') }}") }}

{#- Each count against the same unit's previous period of the same kind (last month, last
    quarter, ...), with the Poisson z-score; the whole pilot has no previous period. -#}
with unit_metrics as (

    select * from {{ ref('rpt_unit_metrics') }}
    where period <> 'all'

),

long_counts as (

    {%- for metric in pilot_change_metric_names() %}
    select
        period,
        unit_code,
        unit_name,
        period_start,
        period_end,
        '{{ metric }}' as metric,
        cast({{ adapter.quote(metric) }} as double) as current_value
    from unit_metrics
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

with_previous as (

    select
        long_counts.*,
        lag(period_start) over (
            partition by period, unit_code, metric order by period_start
        ) as previous_start,
        lag(period_end) over (
            partition by period, unit_code, metric order by period_start
        ) as previous_end,
        lag(current_value) over (
            partition by period, unit_code, metric order by period_start
        ) as previous_value
    from long_counts

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
        current_value,
        previous_value,
        {{ pilot_poisson_z('current_value', 'previous_value') }} as z_score,
        {{ pilot_is_notable('current_value', 'previous_value') }} as is_notable
    from with_previous

)

select * from final
