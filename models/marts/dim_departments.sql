with departments as (

    select
        upper(trim(dept_code)) as dept_code,
        trim(dept_name) as dept_name,
        aliases
    from {{ ref('departments') }}

)

select * from departments
