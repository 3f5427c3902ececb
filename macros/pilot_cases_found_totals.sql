{% macro pilot_cases_found_totals(periods, key) -%}
    {#- Cases found per unit, period of `periods` and value of fct_cases column `key`
        (item_code, category_code), only where there were any: the sparse rows that
        pilot_item_metrics and pilot_case_mix_metrics fill out with zeros. -#}
    select
        cases.period,
        members.reporting_unit_code as unit_code,
        cases.period_start,
        cases.{{ key }},
        count(cases.case_id) as cases_found
    from (
        {{ pilot_facts_in_periods(periods, pilot_ref('fct_cases'), 'found_date') }}
    ) as cases
    inner join {{ pilot_ref('dim_unit_members') }} as members
        on members.unit_code = cases.unit_code
    group by
        cases.period,
        members.reporting_unit_code,
        cases.period_start,
        cases.{{ key }}
{%- endmacro %}
