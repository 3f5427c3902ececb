{% macro pilot_output_metrics(periods) -%}
    {#- Output quantities per unit, period of `periods` and output type (long form). -#}
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

    quantities as (

        select
            unit_period_types.period,
            unit_period_types.unit_code,
            unit_period_types.period_start,
            unit_period_types.period_end,
            unit_period_types.population,
            unit_period_types.output_code,
            unit_period_types.output_name,
            unit_period_types.measure,
            coalesce(sum(outputs.quantity), 0) as quantity,
            count(case when outputs.is_approximate then 1 end) > 0 as is_approximate
        from unit_period_types
        inner join {{ pilot_ref('dim_unit_members') }} as members
            on members.reporting_unit_code = unit_period_types.unit_code
        left join {{ pilot_ref('fct_outputs') }} as outputs
            on outputs.unit_code = members.unit_code
            and outputs.output_code = unit_period_types.output_code
            and outputs.output_date >= unit_period_types.period_start
            and outputs.output_date <= unit_period_types.period_end
        group by
            unit_period_types.period,
            unit_period_types.unit_code,
            unit_period_types.period_start,
            unit_period_types.period_end,
            unit_period_types.population,
            unit_period_types.output_code,
            unit_period_types.output_name,
            unit_period_types.measure

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
