{% macro pilot_item_metrics(periods) -%}
    {#- Cases found per unit, period of `periods` and item of the delegated catalogue; every
        item appears, with zeros, so unused items show. -#}
    with unit_periods as (

        {{ pilot_unit_periods(periods) }}

    ),

    unit_period_items as (

        select
            unit_periods.*,
            items.item_code,
            items.item_name,
            items.category_code,
            items.category,
            items.delegating_dept
        from unit_periods
        cross join {{ pilot_ref('dim_items') }} as items

    ),

    item_counts as (

        select
            unit_period_items.period,
            unit_period_items.unit_code,
            unit_period_items.period_start,
            unit_period_items.period_end,
            unit_period_items.item_code,
            unit_period_items.item_name,
            unit_period_items.category_code,
            unit_period_items.category,
            unit_period_items.delegating_dept,
            count(cases.case_id) as cases_found
        from unit_period_items
        inner join {{ pilot_ref('dim_unit_members') }} as members
            on members.reporting_unit_code = unit_period_items.unit_code
        left join {{ pilot_ref('fct_cases') }} as cases
            on cases.unit_code = members.unit_code
            and cases.item_code = unit_period_items.item_code
            and cases.found_date >= unit_period_items.period_start
            and cases.found_date <= unit_period_items.period_end
        group by
            unit_period_items.period,
            unit_period_items.unit_code,
            unit_period_items.period_start,
            unit_period_items.period_end,
            unit_period_items.item_code,
            unit_period_items.item_name,
            unit_period_items.category_code,
            unit_period_items.category,
            unit_period_items.delegating_dept

    )

    select * from item_counts
{%- endmacro %}
