{% macro pilot_case_mix_metrics(periods) -%}
    {#- Cases found per unit, period of `periods` and category of the delegated catalogue;
        every category appears, with zeros. -#}
    with unit_periods as (

        {{ pilot_unit_periods(periods) }}

    ),

    categories as (

        select distinct
            category_code,
            category
        from {{ pilot_ref('dim_items') }}

    ),

    unit_period_categories as (

        select
            unit_periods.*,
            categories.category_code,
            categories.category
        from unit_periods
        cross join categories

    ),

    category_counts as (

        select
            unit_period_categories.period,
            unit_period_categories.unit_code,
            unit_period_categories.period_start,
            unit_period_categories.period_end,
            unit_period_categories.category_code,
            unit_period_categories.category,
            count(cases.case_id) as cases_found
        from unit_period_categories
        inner join {{ pilot_ref('dim_unit_members') }} as members
            on members.reporting_unit_code = unit_period_categories.unit_code
        left join {{ pilot_ref('fct_cases') }} as cases
            on cases.unit_code = members.unit_code
            and cases.category_code = unit_period_categories.category_code
            and cases.found_date >= unit_period_categories.period_start
            and cases.found_date <= unit_period_categories.period_end
        group by
            unit_period_categories.period,
            unit_period_categories.unit_code,
            unit_period_categories.period_start,
            unit_period_categories.period_end,
            unit_period_categories.category_code,
            unit_period_categories.category

    )

    select * from category_counts
{%- endmacro %}
