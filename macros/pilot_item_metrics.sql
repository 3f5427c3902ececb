{% macro pilot_item_metrics(periods, totals=none) -%}
    {#- Cases found per unit, period of `periods` and item of the delegated catalogue; every
        item appears, with zeros, so unused items show. `totals`: a relation holding
        pilot_cases_found_totals(periods, 'item_code'); computed here when none. -#}
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
            items.delegating_dept,
            items.delegating_dept_code
        from unit_periods
        cross join {{ pilot_ref('dim_items') }} as items

    ),

    item_totals as (

        {% call pilot_stored_or(totals) -%}
        {{ pilot_cases_found_totals(periods, 'item_code') }}
        {%- endcall %}

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
            unit_period_items.delegating_dept_code,
            coalesce(item_totals.cases_found, 0) as cases_found
        from unit_period_items
        left join item_totals
            on item_totals.period = unit_period_items.period
            and item_totals.unit_code = unit_period_items.unit_code
            and item_totals.period_start = unit_period_items.period_start
            and item_totals.item_code = unit_period_items.item_code

    )

    select * from item_counts
{%- endmacro %}
