{% macro pilot_unit_metrics(periods) -%}
    {#- Every metric of ledgers.md section 7, per unit and period of `periods`
        (a relation or CTE with period, period_start, period_end). The one definition used
        by rpt_unit_metrics and by the reporting.unit_metrics_between table macro. -#}
    {%- set output_types = pilot_output_types() -%}
    with unit_periods as (

        {{ pilot_unit_periods(periods) }}

    ),

    case_counts as (

        {#- A case belongs to the period it was found in; closure is judged as of period end. -#}
        select
            unit_periods.period,
            unit_periods.unit_code,
            unit_periods.period_start,
            count(cases.case_id) as cases_found,
            count(case when cases.closed_date <= unit_periods.period_end then 1 end)
                as cases_closed,
            {{ pilot_median(
                "case when cases.closed_date <= unit_periods.period_end"
                ~ " then cases.days_to_close end"
            ) }} as median_days_to_close,
            count(case when cases.is_notice then 1 end) as notices_issued,
            count(case when cases.is_notice_complied_on_time then 1 end)
                as notices_complied_on_time,
            count(case when cases.is_penalty then 1 end) as penalties,
            coalesce(sum(case when cases.is_penalty then cases.fine_yuan end), 0) as fines_yuan,
            count(case when cases.is_referral then 1 end) as referrals_made,
            count(case when cases.is_dispute then 1 end) as disputes_found,
            count(case when cases.is_dispute_mediated then 1 end) as disputes_mediated,
            count(case when cases.is_dispute_resolved then 1 end) as disputes_resolved,
            count(case when cases.is_corrected_on_spot then 1 end) as corrected_on_spot
        from unit_periods
        inner join {{ pilot_ref('dim_unit_members') }} as members
            on members.reporting_unit_code = unit_periods.unit_code
        left join {{ pilot_ref('fct_cases') }} as cases
            on cases.unit_code = members.unit_code
            and cases.found_date >= unit_periods.period_start
            and cases.found_date <= unit_periods.period_end
        group by
            unit_periods.period,
            unit_periods.unit_code,
            unit_periods.period_start

    ),

    patrol_totals as (

        {#- A patrol belongs to the day it started, also when it crossed midnight. -#}
        select
            unit_periods.period,
            unit_periods.unit_code,
            unit_periods.period_start,
            count(patrols.patrol_id) as patrols,
            coalesce(sum(patrols.patrol_hours), 0) as patrol_hours,
            coalesce(sum(patrols.officer_hours), 0) as officer_hours,
            coalesce(sum(patrols.issues_found), 0) as issues_found,
            count(distinct {{ dbt.concat(['patrols.unit_code', "'/'", 'patrols.grid_code']) }})
                as grids_patrolled
        from unit_periods
        inner join {{ pilot_ref('dim_unit_members') }} as members
            on members.reporting_unit_code = unit_periods.unit_code
        left join {{ pilot_ref('fct_patrols') }} as patrols
            on patrols.unit_code = members.unit_code
            and patrols.patrol_date >= unit_periods.period_start
            and patrols.patrol_date <= unit_periods.period_end
        group by
            unit_periods.period,
            unit_periods.unit_code,
            unit_periods.period_start

    ),

    output_quantities as (

        {{ pilot_output_metrics(periods) }}

    ),

    output_columns as (

        select
            period,
            unit_code,
            period_start,
            {%- for output_type in output_types %}
            coalesce(
                max(case when output_code = '{{ output_type.code }}' then quantity end), 0
            ) as {{ adapter.quote(output_type.column) }},
            {%- endfor %}
            count(case when is_approximate then 1 end) > 0 as outputs_approximate
        from output_quantities
        group by
            period,
            unit_code,
            period_start

    ),

    metrics as (

        select
            unit_periods.period,
            unit_periods.unit_code,
            unit_periods.unit_name,
            unit_periods.period_start,
            unit_periods.period_end,
            unit_periods.population,
            case_counts.cases_found,
            case_counts.cases_closed,
            cast(case_counts.cases_closed as double)
                / nullif(case_counts.cases_found, 0) as closure_rate,
            cast(case_counts.median_days_to_close as double) as median_days_to_close,
            case_counts.notices_issued,
            case_counts.notices_complied_on_time,
            case_counts.penalties,
            cast(case_counts.fines_yuan as double) as fines_yuan,
            case_counts.referrals_made,
            case_counts.disputes_found,
            case_counts.disputes_mediated,
            case_counts.disputes_resolved,
            case_counts.corrected_on_spot,
            patrol_totals.patrols,
            cast(patrol_totals.patrol_hours as double) as patrol_hours,
            cast(patrol_totals.officer_hours as double) as officer_hours,
            cast(patrol_totals.issues_found as {{ dbt.type_bigint() }}) as issues_found,
            cast(patrol_totals.grids_patrolled as double)
                / nullif(unit_periods.grid_count, 0) as grid_coverage,
            {%- for output_type in output_types %}
            output_columns.{{ adapter.quote(output_type.column) }},
            {%- endfor %}
            {%- for metric in pilot_count_metrics() %}
            {{ pilot_per_10k(metric, 'unit_periods.population') }} as {{ metric }}_per_10k,
            {%- endfor %}
            {%- for output_type in output_types %}
            {{ pilot_per_10k('output_columns.' ~ adapter.quote(output_type.column), 'unit_periods.population') }}
                as {{ adapter.quote(output_type.column ~ '_per_10k') }},
            {%- endfor %}
            coalesce(output_columns.outputs_approximate, false) as outputs_approximate
        from unit_periods
        inner join case_counts
            on case_counts.period = unit_periods.period
            and case_counts.unit_code = unit_periods.unit_code
            and case_counts.period_start = unit_periods.period_start
        inner join patrol_totals
            on patrol_totals.period = unit_periods.period
            and patrol_totals.unit_code = unit_periods.unit_code
            and patrol_totals.period_start = unit_periods.period_start
        left join output_columns
            on output_columns.period = unit_periods.period
            and output_columns.unit_code = unit_periods.unit_code
            and output_columns.period_start = unit_periods.period_start

    )

    select * from metrics
{%- endmacro %}
