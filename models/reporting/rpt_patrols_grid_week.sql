{#- Every grid of every unit in every week, with zeros, so a heatmap shows the gaps. -#}
with weeks as (

    select period, period_start, period_end
    from {{ ref('dim_periods') }}
    where period = 'week'

),

grids as (

    select * from {{ ref('dim_grids') }}

),

grid_weeks as (

    select
        grids.unit_code,
        grids.grid_code,
        grids.grid_name,
        weeks.period_start as week_start,
        weeks.period_end as week_end
    from grids
    cross join weeks

),

weekly_patrols as (

    select
        patrols.unit_code,
        patrols.grid_code,
        patrols.period_start as week_start,
        count(patrols.patrol_id) as patrols,
        sum(patrols.patrol_hours) as patrol_hours
    from (
        {{ pilot_facts_in_periods('weeks', ref('fct_patrols'), 'patrol_date') }}
    ) as patrols
    group by
        patrols.unit_code,
        patrols.grid_code,
        patrols.period_start

),

patrol_counts as (

    select
        grid_weeks.unit_code,
        grid_weeks.grid_code,
        grid_weeks.grid_name,
        grid_weeks.week_start,
        grid_weeks.week_end,
        coalesce(weekly_patrols.patrols, 0) as patrols,
        cast(coalesce(weekly_patrols.patrol_hours, 0) as double) as patrol_hours
    from grid_weeks
    left join weekly_patrols
        on weekly_patrols.unit_code = grid_weeks.unit_code
        and weekly_patrols.grid_code = grid_weeks.grid_code
        and weekly_patrols.week_start = grid_weeks.week_start

)

select * from patrol_counts
