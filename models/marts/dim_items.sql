with catalogue as (

    select * from {{ ref('catalogue') }}

),

departments as (

    select * from {{ ref('dim_departments') }}

),

final as (

    {#- The department's code, so pages can name it in English; null when the catalogue
        names a department the departments seed does not hold. -#}
    select
        upper(trim(catalogue.item_code)) as item_code,
        catalogue.category_code,
        catalogue.category,
        catalogue.item_name,
        catalogue.delegating_dept,
        departments.dept_code as delegating_dept_code,
        catalogue.is_enforcement,
        upper(trim(catalogue.item_code)) like 'JF%' as is_dispute
    from catalogue
    left join departments
        on departments.dept_name = trim(catalogue.delegating_dept)

)

select * from final
