{% macro pilot_referral_totals(periods) -%}
    {#- Referrals per unit, period of `periods` and receiving department, only where there
        were any (the sparse rows that pilot_referral_metrics fills out with zeros). -#}
    select
        cases.period,
        members.reporting_unit_code as unit_code,
        cases.period_start,
        cases.referred_to as dept_code,
        count(cases.case_id) as referrals
    from (
        {{ pilot_facts_in_periods(periods, pilot_ref('fct_cases'), 'found_date') }}
    ) as cases
    inner join {{ pilot_ref('dim_unit_members') }} as members
        on members.unit_code = cases.unit_code
    where cases.is_referral
    group by
        cases.period,
        members.reporting_unit_code,
        cases.period_start,
        cases.referred_to
{%- endmacro %}

{% macro pilot_referral_metrics(periods, totals=none) -%}
    {#- Referrals (cases with action 移交) per unit, period of `periods` and receiving
        department. `totals`: a relation holding pilot_referral_totals over the same periods;
        computed here when none. -#}
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

    referral_totals as (

        {% call pilot_stored_or(totals) -%}
        {{ pilot_referral_totals(periods) }}
        {%- endcall %}

    ),

    referral_counts as (

        {#- Every department for every unit and period, with zeros. -#}
        select
            unit_period_departments.period,
            unit_period_departments.unit_code,
            unit_period_departments.period_start,
            unit_period_departments.period_end,
            unit_period_departments.dept_code,
            unit_period_departments.dept_name,
            coalesce(referral_totals.referrals, 0) as referrals
        from unit_period_departments
        left join referral_totals
            on referral_totals.period = unit_period_departments.period
            and referral_totals.unit_code = unit_period_departments.unit_code
            and referral_totals.period_start = unit_period_departments.period_start
            and referral_totals.dept_code = unit_period_departments.dept_code

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
