{{ config(materialized='view') }}

{#- Every grid of every unit in every week, with zeros, so a heatmap shows the gaps. A view:
    the weeks with patrols are stored in int_patrol_totals_grid_week and filled out here, so
    a province's build does not write every grid's empty weeks. pilot_ref (no database part),
    so that in a snapshot the view reads the snapshot. -#}
with weeks as (

    select period, period_start, period_end
    from {{ pilot_ref('dim_periods') }}
    where period = 'week'

),

grids as (

    select * from {{ pilot_ref('dim_grids') }}

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

    select * from {{ pilot_ref('int_patrol_totals_grid_week') }}

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
