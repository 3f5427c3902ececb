{% macro pilot_facts_in_periods(periods, facts, date_column) -%}
    {#- Every row of `facts` once for each period of `periods` its `date_column` falls in,
        with the period's period, period_start and period_end. Only the distinct dates are
        compared with the periods' bounds; rows then find their periods by an equality join
        on the date, so the work grows with rows + dates x periods, not rows x periods. -#}
    with fact_dates as (

        select distinct {{ date_column }} as fact_date
        from {{ facts }}
        where {{ date_column }} is not null

    ),

    {#- Materialised on DuckDB: else its optimiser may join the facts to their dates first
        and compare every fact row, not every date, with the periods' bounds (at 1M cases,
        rpt_repeat_parties_unit_period spent 1.4 of its 1.4 s in that range join). -#}
    date_periods as {% if target.type == 'duckdb' %}materialized {% endif %}(

        select
            fact_dates.fact_date,
            periods.period,
            periods.period_start,
            periods.period_end
        from fact_dates
        inner join {{ periods }} as periods
            on fact_dates.fact_date >= periods.period_start
            and fact_dates.fact_date <= periods.period_end

    )

    select
        date_periods.period,
        date_periods.period_start,
        date_periods.period_end,
        facts.*
    from {{ facts }} as facts
    inner join date_periods
        on date_periods.fact_date = facts.{{ date_column }}
{%- endmacro %}
