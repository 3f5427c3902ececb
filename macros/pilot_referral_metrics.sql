{% macro pilot_referral_metrics(periods) -%}
    {#- Referrals (cases with action 移交) per unit, period of `periods` and receiving department. -#}
    with unit_periods as (

        {{ pilot_unit_periods(periods) }}

    ),

    unit_period_departments as (

        select
            unit_periods.*,
            departments.dept_code,
            departments.dept_name
        from unit_periods
        cross join {{ pilot_ref('dim_departments') }} as departments

    ),

    referral_counts as (

        select
            unit_period_departments.period,
            unit_period_departments.unit_code,
            unit_period_departments.period_start,
            unit_period_departments.period_end,
            unit_period_departments.dept_code,
            unit_period_departments.dept_name,
            count(cases.case_id) as referrals
        from unit_period_departments
        inner join {{ pilot_ref('dim_unit_members') }} as members
            on members.reporting_unit_code = unit_period_departments.unit_code
        left join {{ pilot_ref('fct_cases') }} as cases
            on cases.unit_code = members.unit_code
            and cases.referred_to = unit_period_departments.dept_code
            and cases.is_referral
            and cases.found_date >= unit_period_departments.period_start
            and cases.found_date <= unit_period_departments.period_end
        group by
            unit_period_departments.period,
            unit_period_departments.unit_code,
            unit_period_departments.period_start,
            unit_period_departments.period_end,
            unit_period_departments.dept_code,
            unit_period_departments.dept_name

    )

    select
        period,
        unit_code,
        period_start,
        period_end,
        dept_code,
        dept_name as department,
        referrals
    from referral_counts
{%- endmacro %}
