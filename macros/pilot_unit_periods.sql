{% macro pilot_unit_periods(periods, members=none) -%}
    {#- Every reporting unit (each pilot unit and the pilot total) in every period of `periods` (period, period_start, period_end): the rows
        reports are made of, so that a unit with no activity gets zeros, not a missing row.
        `members`: when given (pilot_members_to_build()), only its reporting units. -#}
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
    {%- if members is not none %}
    where units.unit_code in (select reporting_unit_code from {{ members }})
    {%- endif %}
{%- endmacro %}
