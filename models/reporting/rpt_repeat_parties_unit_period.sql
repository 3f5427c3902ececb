{#- Repeat parties: how many distinct parties (by the keyed hash of their ID number, never
    the person) had cases in a period, and how many of them more than one. -#}
-- depends_on: {{ ref('int_build_scope') }}
with unit_periods as (

    {{ pilot_unit_periods(ref('dim_periods'), pilot_members_to_build()) }}

),

party_cases as (

    select
        cases.period,
        members.reporting_unit_code as unit_code,
        cases.period_start,
        cases.party_id_hash,
        count(*) as cases
    from (
        {{ pilot_facts_in_periods(ref('dim_periods'), ref('fct_cases'), 'found_date') }}
    ) as cases
    inner join {{ pilot_members_to_build() }} as members
        on members.unit_code = cases.unit_code
    where cases.party_id_hash is not null
    group by
        cases.period,
        members.reporting_unit_code,
        cases.period_start,
        cases.party_id_hash

),

party_counts as (

    select
        period,
        unit_code,
        period_start,
        count(*) as parties,
        count(case when cases > 1 then 1 end) as repeat_parties,
        sum(cases) as cases_with_known_party,
        coalesce(sum(case when cases > 1 then cases end), 0) as cases_of_repeat_parties
    from party_cases
    group by
        period,
        unit_code,
        period_start

),

final as (

    select
        unit_periods.period,
        unit_periods.unit_code,
        unit_periods.period_start,
        unit_periods.period_end,
        coalesce(party_counts.parties, 0) as parties,
        coalesce(party_counts.repeat_parties, 0) as repeat_parties,
        coalesce(party_counts.cases_with_known_party, 0) as cases_with_known_party,
        coalesce(party_counts.cases_of_repeat_parties, 0) as cases_of_repeat_parties
    from unit_periods
    left join party_counts
        on party_counts.period = unit_periods.period
        and party_counts.unit_code = unit_periods.unit_code
        and party_counts.period_start = unit_periods.period_start

)

select * from final
