with patrols as (

    select * from {{ ref('stg_ledgers__patrols') }} as patrols
    {{ pilot_new_files_only('patrols') }}

),

grids as (

    select * from {{ ref('dim_grids') }}

),

patrols_with_grid as (

    {#- The ledger's grid may be written as a grid code or a grid name of the unit. -#}
    select
        patrols.*,
        coalesce(grid_by_code.grid_code, grid_by_name.grid_code) as grid_code
    from patrols
    left join grids as grid_by_code
        on grid_by_code.unit_code = patrols.unit_code
        and grid_by_code.grid_code = patrols.grid
    left join grids as grid_by_name
        on grid_by_name.unit_code = patrols.unit_code
        and grid_by_name.grid_name = patrols.grid

),

durations as (

    {#- An end earlier than the start means the patrol crossed midnight. -#}
    select
        patrols_with_grid.*,
        end_minute < start_minute as crosses_midnight,
        (
            end_minute - start_minute
            + case when end_minute < start_minute then 24 * 60 else 0 end
        ) / 60.0 as patrol_hours
    from patrols_with_grid

),

final as (

    select
        unit_code,
        patrol_id,
        grid_code,
        patrol_date,
        start_time,
        end_time,
        crosses_midnight,
        cast(patrol_hours as double) as patrol_hours,
        officer_count,
        cast(patrol_hours * officer_count as double) as officer_hours,
        issues_found,
        resolved_on_spot,
        file_id,
        source_file,
        source_sheet,
        source_row
    from durations

)

select * from final
