{% macro pilot_unit_periods(periods) -%}
    {#- Every unit in every period of `periods` (period, period_start, period_end): the rows
        reports are made of, so that a unit with no activity gets zeros, not a missing row. -#}
    select
        periods.period,
        periods.period_start,
        periods.period_end,
        units.unit_code,
        units.unit_name,
        units.population,
        units.grid_count
    from {{ periods }} as periods
    cross join {{ pilot_ref('dim_units') }} as units
{%- endmacro %}
