{% macro pilot_case_mix_metrics(periods, totals=none) -%}
    {#- Cases found per unit, period of `periods` and category of the delegated catalogue;
        every category appears, with zeros. `totals`: a relation holding pilot_case_mix_totals
        over the same periods; computed here when none. -#}
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

    category_totals as (

        {% call pilot_stored_or(totals) -%}
        {{ pilot_cases_found_totals(periods, 'category_code') }}
        {%- endcall %}

    ),

    category_counts as (

        select
            unit_period_categories.period,
            unit_period_categories.unit_code,
            unit_period_categories.period_start,
            unit_period_categories.period_end,
            unit_period_categories.category_code,
            unit_period_categories.category,
            coalesce(category_totals.cases_found, 0) as cases_found
        from unit_period_categories
        left join category_totals
            on category_totals.period = unit_period_categories.period
            and category_totals.unit_code = unit_period_categories.unit_code
            and category_totals.period_start = unit_period_categories.period_start
            and category_totals.category_code = unit_period_categories.category_code

    )

    select * from category_counts
{%- endmacro %}
