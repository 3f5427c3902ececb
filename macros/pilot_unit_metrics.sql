{% macro pilot_unit_metrics(periods) -%}
    {#- Every metric of ledgers.md section 7, per unit and period of `periods`
        (a relation or CTE with period, period_start, period_end). The one definition used
        by rpt_unit_metrics and by the reporting.unit_metrics_between table macro. -#}
    {%- set output_types = pilot_output_types() -%}
    with unit_periods as (

        {{ pilot_unit_periods(periods) }}

    ),

    case_totals as (

        {#- A case belongs to the period it was found in; closure is judged as of period end. -#}
        select
            cases.period,
            members.reporting_unit_code as unit_code,
            cases.period_start,
            count(cases.case_id) as cases_found,
            count(case when cases.closed_date <= cases.period_end then 1 end) as cases_closed,
            {{ pilot_median(
                "case when cases.closed_date <= cases.period_end"
                ~ " then cases.days_to_close end"
            ) }} as median_days_to_close,
            count(case when cases.is_notice then 1 end) as notices_issued,
            count(case when cases.is_notice_complied_on_time then 1 end)
                as notices_complied_on_time,
            count(case when cases.is_penalty then 1 end) as penalties,
            sum(case when cases.is_penalty then cases.fine_yuan end) as fines_yuan,
            count(case when cases.is_referral then 1 end) as referrals_made,
            count(case when cases.is_dispute then 1 end) as disputes_found,
            count(case when cases.is_dispute_mediated then 1 end) as disputes_mediated,
            count(case when cases.is_dispute_resolved then 1 end) as disputes_resolved,
            count(case when cases.is_corrected_on_spot then 1 end) as corrected_on_spot
        from (
            {{ pilot_facts_in_periods(periods, pilot_ref('fct_cases'), 'found_date') }}
        ) as cases
        inner join {{ pilot_ref('dim_unit_members') }} as members
            on members.unit_code = cases.unit_code
        group by
            cases.period,
            members.reporting_unit_code,
            cases.period_start

    ),

    patrol_totals as (

        {#- A patrol belongs to the day it started, also when it crossed midnight. -#}
        select
            patrols.period,
            members.reporting_unit_code as unit_code,
            patrols.period_start,
            count(patrols.patrol_id) as patrols,
            sum(patrols.patrol_hours) as patrol_hours,
            sum(patrols.officer_hours) as officer_hours,
            sum(patrols.issues_found) as issues_found,
            count(distinct {{ dbt.concat(['patrols.unit_code', "'/'", 'patrols.grid_code']) }})
                as grids_patrolled
        from (
            {{ pilot_facts_in_periods(periods, pilot_ref('fct_patrols'), 'patrol_date') }}
        ) as patrols
        inner join {{ pilot_ref('dim_unit_members') }} as members
            on members.unit_code = patrols.unit_code
        group by
            patrols.period,
            members.reporting_unit_code,
            patrols.period_start

    ),

    counts as (

        {#- Every unit in every period, with zeros where it had no case or patrol. -#}
        select
            unit_periods.period,
            unit_periods.unit_code,
            unit_periods.period_start,
            coalesce(case_totals.cases_found, 0) as cases_found,
            coalesce(case_totals.cases_closed, 0) as cases_closed,
            case_totals.median_days_to_close,
            coalesce(case_totals.notices_issued, 0) as notices_issued,
            coalesce(case_totals.notices_complied_on_time, 0) as notices_complied_on_time,
            coalesce(case_totals.penalties, 0) as penalties,
            coalesce(case_totals.fines_yuan, 0) as fines_yuan,
            coalesce(case_totals.referrals_made, 0) as referrals_made,
            coalesce(case_totals.disputes_found, 0) as disputes_found,
            coalesce(case_totals.disputes_mediated, 0) as disputes_mediated,
            coalesce(case_totals.disputes_resolved, 0) as disputes_resolved,
            coalesce(case_totals.corrected_on_spot, 0) as corrected_on_spot,
            coalesce(patrol_totals.patrols, 0) as patrols,
            coalesce(patrol_totals.patrol_hours, 0) as patrol_hours,
            coalesce(patrol_totals.officer_hours, 0) as officer_hours,
            coalesce(patrol_totals.issues_found, 0) as issues_found,
            coalesce(patrol_totals.grids_patrolled, 0) as grids_patrolled
        from unit_periods
        left join case_totals
            on case_totals.period = unit_periods.period
            and case_totals.unit_code = unit_periods.unit_code
            and case_totals.period_start = unit_periods.period_start
        left join patrol_totals
            on patrol_totals.period = unit_periods.period
            and patrol_totals.unit_code = unit_periods.unit_code
            and patrol_totals.period_start = unit_periods.period_start

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
            counts.cases_found,
            counts.cases_closed,
            cast(counts.cases_closed as double)
                / nullif(counts.cases_found, 0) as closure_rate,
            cast(counts.median_days_to_close as double) as median_days_to_close,
            counts.notices_issued,
            counts.notices_complied_on_time,
            counts.penalties,
            cast(counts.fines_yuan as double) as fines_yuan,
            counts.referrals_made,
            counts.disputes_found,
            counts.disputes_mediated,
            counts.disputes_resolved,
            counts.corrected_on_spot,
            counts.patrols,
            cast(counts.patrol_hours as double) as patrol_hours,
            cast(counts.officer_hours as double) as officer_hours,
            cast(counts.issues_found as {{ dbt.type_bigint() }}) as issues_found,
            cast(counts.grids_patrolled as double)
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
        inner join counts
            on counts.period = unit_periods.period
            and counts.unit_code = unit_periods.unit_code
            and counts.period_start = unit_periods.period_start
        left join output_columns
            on output_columns.period = unit_periods.period
            and output_columns.unit_code = unit_periods.unit_code
            and output_columns.period_start = unit_periods.period_start

    )

    select * from metrics
{%- endmacro %}
