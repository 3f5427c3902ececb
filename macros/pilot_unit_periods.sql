{% macro pilot_unit_periods(periods) -%}
    {#- Every reporting unit (each pilot unit and the pilot total) in every period of `periods` (period, period_start, period_end): the rows
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
    cross join {{ pilot_ref('dim_reporting_units') }} as units
{%- endmacro %}
