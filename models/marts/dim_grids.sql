with grids as (

    select
        upper(trim(unit_code)) as unit_code,
        trim(grid_code) as grid_code,
        trim(grid_name) as grid_name
    from {{ ref('grids') }}

)

select * from grids
