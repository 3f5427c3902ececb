{% macro pilot_cases_found_totals(periods, key, members=none) -%}
    {#- Cases found per unit, period of `periods` and value of fct_cases column `key`
        (item_code, category_code), only where there were any: the sparse rows that
        pilot_item_metrics and pilot_case_mix_metrics fill out with zeros. Cases are first
        counted per reporting unit, day and value, so that the pilot total meets the periods
        as one row per day, not one per case. `members`: the bridge to reporting units
        (pilot_members_to_build() in a model built by unit), dim_unit_members when none. -#}
    with cases_by_day as (

        select
            members.reporting_unit_code as unit_code,
            cases.found_date,
            cases.{{ key }},
            count(cases.case_id) as cases_found
        from {{ pilot_ref('fct_cases') }} as cases
        inner join {{ members if members is not none else pilot_ref('dim_unit_members') }} as members
            on members.unit_code = cases.unit_code
        group by
            members.reporting_unit_code,
            cases.found_date,
            cases.{{ key }}

    )

    select
        cases.period,
        cases.unit_code,
        cases.period_start,
        cases.{{ key }},
        cast(sum(cases.cases_found) as {{ dbt.type_bigint() }}) as cases_found
    from (
        {{ pilot_facts_in_periods(periods, 'cases_by_day', 'found_date') }}
    ) as cases
    group by
        cases.period,
        cases.unit_code,
        cases.period_start,
        cases.{{ key }}
{%- endmacro %}
