with catalogue as (

    select * from {{ ref('catalogue') }}

),

final as (

    select
        upper(trim(item_code)) as item_code,
        category_code,
        category,
        item_name,
        delegating_dept,
        is_enforcement,
        upper(trim(item_code)) like 'JF%' as is_dispute
    from catalogue

)

select * from final
