{% macro pilot_output_totals(periods, members=none) -%}
    {#- Output quantities per unit, period of `periods` and output type, only where something
        was made (the sparse rows that pilot_output_metrics fills out with zeros). Outputs are
        first summed per reporting unit, day and type. `members`: as for
        pilot_cases_found_totals. -#}
    with outputs_by_day as (

        select
            members.reporting_unit_code as unit_code,
            outputs.output_date,
            outputs.output_code,
            sum(outputs.quantity) as quantity,
            count(case when outputs.is_approximate then 1 end) as approximate_rows
        from {{ pilot_ref('fct_outputs') }} as outputs
        inner join {{ members if members is not none else pilot_ref('dim_unit_members') }} as members
            on members.unit_code = outputs.unit_code
        group by
            members.reporting_unit_code,
            outputs.output_date,
            outputs.output_code

    )

    select
        outputs.period,
        outputs.unit_code,
        outputs.period_start,
        outputs.output_code,
        sum(outputs.quantity) as quantity,
        sum(outputs.approximate_rows) > 0 as is_approximate
    from (
        {{ pilot_facts_in_periods(periods, 'outputs_by_day', 'output_date') }}
    ) as outputs
    group by
        outputs.period,
        outputs.unit_code,
        outputs.period_start,
        outputs.output_code
{%- endmacro %}

{% macro pilot_output_metrics(periods, totals=none) -%}
    {#- Output quantities per unit, period of `periods` and output type (long form), every
        type for every unit and period. `totals`: a relation holding pilot_output_totals over
        the same periods; computed here when none. -#}
    with unit_periods as (

        {{ pilot_unit_periods(periods) }}

    ),

    unit_period_types as (

        select
            unit_periods.*,
            output_types.output_code,
            output_types.output_name,
            output_types.measure
        from unit_periods
        cross join {{ pilot_ref('dim_output_types') }} as output_types

    ),

    output_totals as (

        {% call pilot_stored_or(totals) -%}
        {{ pilot_output_totals(periods) }}
        {%- endcall %}

    ),

    quantities as (

        {#- Every type for every unit and period, with zeros where nothing was made. -#}
        select
            unit_period_types.period,
            unit_period_types.unit_code,
            unit_period_types.period_start,
            unit_period_types.period_end,
            unit_period_types.population,
            unit_period_types.output_code,
            unit_period_types.output_name,
            unit_period_types.measure,
            coalesce(output_totals.quantity, 0) as quantity,
            coalesce(output_totals.is_approximate, false) as is_approximate
        from unit_period_types
        left join output_totals
            on output_totals.period = unit_period_types.period
            and output_totals.unit_code = unit_period_types.unit_code
            and output_totals.period_start = unit_period_types.period_start
            and output_totals.output_code = unit_period_types.output_code

    )

    select
        period,
        unit_code,
        period_start,
        period_end,
        output_code,
        output_name,
        measure,
        cast(quantity as double) as quantity,
        {{ pilot_per_10k('quantity', 'population') }} as quantity_per_10k,
        is_approximate
    from quantities
{%- endmacro %}
