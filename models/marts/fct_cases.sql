with cases as (

    select * from {{ ref('stg_ledgers__cases') }} as cases
    {{ pilot_new_files_only('cases') }}

),

items as (

    select * from {{ ref('dim_items') }}

),

grids as (

    select * from {{ ref('dim_grids') }}

),

cases_with_grid as (

    {#- The ledger's grid may be written as a grid code or a grid name of the unit. -#}
    select
        cases.*,
        coalesce(grid_by_code.grid_code, grid_by_name.grid_code) as grid_code
    from cases
    left join grids as grid_by_code
        on grid_by_code.unit_code = cases.unit_code
        and grid_by_code.grid_code = cases.grid
    left join grids as grid_by_name
        on grid_by_name.unit_code = cases.unit_code
        and grid_by_name.grid_name = cases.grid

),

final as (

    select
        cases_with_grid.unit_code,
        cases_with_grid.case_id,
        cases_with_grid.grid_code,
        cases_with_grid.found_date,
        cases_with_grid.case_source,
        cases_with_grid.item_code,
        items.category_code,
        cases_with_grid.party_id_hash,
        cases_with_grid.action,
        cases_with_grid.referred_to,
        cases_with_grid.deadline,
        cases_with_grid.closed_date,
        cases_with_grid.outcome,
        cases_with_grid.fine_yuan,
        {{ dbt.datediff('cases_with_grid.found_date', 'cases_with_grid.closed_date', 'day') }}
            as days_to_close,
        cases_with_grid.item_code like 'JF%' as is_dispute,
        coalesce(cases_with_grid.action = '整改通知', false) as is_notice,
        coalesce(
            cases_with_grid.action = '整改通知'
            and cases_with_grid.outcome = '已整改'
            and cases_with_grid.closed_date <= cases_with_grid.deadline,
            false
        ) as is_notice_complied_on_time,
        coalesce(cases_with_grid.action = '立案处罚', false) as is_penalty,
        coalesce(cases_with_grid.action = '移交', false) as is_referral,
        coalesce(
            cases_with_grid.item_code like 'JF%' and cases_with_grid.action = '调解', false
        ) as is_dispute_mediated,
        coalesce(
            cases_with_grid.item_code like 'JF%' and cases_with_grid.outcome = '调解成功', false
        ) as is_dispute_resolved,
        coalesce(cases_with_grid.action in ('劝导教育', '现场纠正'), false)
            as is_corrected_on_spot,
        cases_with_grid.file_id,
        cases_with_grid.source_file,
        cases_with_grid.source_sheet,
        cases_with_grid.source_row
    from cases_with_grid
    left join items
        on items.item_code = cases_with_grid.item_code

)

select * from final
